{{- define "infra-connector.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "infra-connector.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "infra-connector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "infra-connector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "infra-connector.labels" -}}
{{ include "infra-connector.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "infra-connector.serviceAccountName" -}}
{{- default (include "infra-connector.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "infra-connector.accessKeySecret" -}}
{{- default (printf "%s-access-key" (include "infra-connector.fullname" .)) .Values.accessKey.existingSecret -}}
{{- end -}}

{{- define "infra-connector.caSecret" -}}
{{- default (printf "%s-ca" (include "infra-connector.fullname" .)) .Values.caSecret -}}
{{- end -}}

{{- define "infra-connector.validate" -}}
{{- if not .Values.server.url -}}
{{- fail "server.url is required: the Infra server, e.g. https://infra.example.com" -}}
{{- end -}}
{{- if not .Values.name -}}
{{- fail "name is required: the destination name of this cluster in Infra" -}}
{{- end -}}
{{- if not (regexMatch "^[A-Za-z0-9_-]+$" .Values.name) -}}
{{- fail "name may contain only letters, digits, \"-\" and \"_\"" -}}
{{- end -}}
{{- if not .Values.endpoint -}}
{{- fail "endpoint is required: host:port users reach the connector at" -}}
{{- end -}}
{{- if and (not .Values.accessKey.value) (not .Values.accessKey.existingSecret) -}}
{{- fail "accessKey.value or accessKey.existingSecret is required (infra keys add connector)" -}}
{{- end -}}
{{- end -}}
