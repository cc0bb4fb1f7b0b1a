{{- if .Values.ingress.enabled }}
{{- $passthrough := eq .Values.ingress.tlsMode "passthrough" }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "infra-server.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-server.labels" . | nindent 4 }}
  annotations:
    {{- if $passthrough }}
    # ingress-nginx (started with --enable-ssl-passthrough) hands the TLS connection to the server unopened.
    nginx.ingress.kubernetes.io/ssl-passthrough: "true"
    nginx.ingress.kubernetes.io/backend-protocol: HTTPS
    {{- end }}
    {{- with .Values.ingress.annotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- with .Values.ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- if not $passthrough }}
  tls:
    - hosts:
        - {{ .Values.ingress.host | quote }}
      {{- with .Values.ingress.tlsSecretName }}
      secretName: {{ . }}
      {{- end }}
  {{- end }}
  rules:
    - host: {{ .Values.ingress.host | quote }}
      http:
        paths:
          - path: {{ .Values.ingress.path }}
            pathType: Prefix
            backend:
              service:
                name: {{ include "infra-server.fullname" . }}
                port:
                  name: https
{{- end }}
