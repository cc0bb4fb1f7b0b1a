{{- include "infra-connector.validate" . -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "infra-connector.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-connector.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
