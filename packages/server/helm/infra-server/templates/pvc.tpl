{{- if and (eq (include "infra-server.databaseMode" .) "embedded") .Values.persistence.enabled (not .Values.persistence.existingClaim) }}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "infra-server.fullname" . }}-data
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-server.labels" . | nindent 4 }}
  {{- with include "infra-server.keepOnUninstall" . }}{{ . | nindent 2 }}{{ end }}
spec:
  accessModes:
    {{- toYaml .Values.persistence.accessModes | nindent 4 }}
  {{- with .Values.persistence.storageClass }}
  storageClassName: {{ . | quote }}
  {{- end }}
  resources:
    requests:
      storage: {{ .Values.persistence.size }}
{{- end }}
