{{- if not .Values.accessKey.existingSecret }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "infra-connector.accessKeySecret" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-connector.labels" . | nindent 4 }}
type: Opaque
data:
  {{ .Values.accessKey.secretKey }}: {{ .Values.accessKey.value | b64enc | quote }}
{{- end }}
{{- if not .Values.caSecret }}
---
# Filled by the connector with the CA it generates; the chart never sets its data, so upgrades keep it.
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "infra-connector.caSecret" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-connector.labels" . | nindent 4 }}
type: Opaque
{{- end }}
