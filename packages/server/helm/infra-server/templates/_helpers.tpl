{{- define "infra-server.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "infra-server.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "infra-server.selectorLabels" -}}
app.kubernetes.io/name: {{ include "infra-server.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "infra-server.labels" -}}
{{ include "infra-server.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "infra-server.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* embedded (the server's own Postgres in /data), external (database.url or database.existingSecret) or bundled (postgresql.enabled). */}}
{{- define "infra-server.databaseMode" -}}
{{- if .Values.postgresql.enabled -}}bundled
{{- else if or .Values.database.url .Values.database.existingSecret -}}external
{{- else -}}embedded
{{- end -}}
{{- end -}}

{{/* Whether TLS ends at the ingress, so that the server speaks plain HTTP. */}}
{{- define "infra-server.insecureHttp" -}}
{{- if and .Values.ingress.enabled (eq .Values.ingress.tlsMode "terminate") -}}true{{- end -}}
{{- end -}}

{{/* A value kept in an existing Secret of the release (so upgrades keep it), else the one given to generate. */}}
{{- define "infra-server.kept" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- $data := dig "data" (dict) $existing -}}
{{- if hasKey $data .key -}}
{{- index $data .key | b64dec -}}
{{- else -}}
{{- .generate -}}
{{- end -}}
{{- end -}}

{{- define "infra-server.rootKeySecret" -}}
{{- default (printf "%s-root-key" (include "infra-server.fullname" .)) .Values.rootKey.existingSecret -}}
{{- end -}}

{{- define "infra-server.adminAccessKeySecret" -}}
{{- default (printf "%s-admin-access-key" (include "infra-server.fullname" .)) .Values.adminAccessKey.existingSecret -}}
{{- end -}}

{{- define "infra-server.configSecret" -}}
{{- default (printf "%s-config" (include "infra-server.fullname" .)) .Values.configFile.existingSecret -}}
{{- end -}}

{{- define "infra-server.hasConfigFile" -}}
{{- if or .Values.configFile.existingSecret .Values.configFile.content -}}true{{- end -}}
{{- end -}}

{{- define "infra-server.tlsSecret" -}}
{{- default (printf "%s-tls" (include "infra-server.fullname" .)) .Values.tls.existingSecret -}}
{{- end -}}

{{- define "infra-server.postgresqlName" -}}
{{- printf "%s-postgresql" (include "infra-server.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The Secret of DATABASE_URL, for an external database. */}}
{{- define "infra-server.databaseSecret" -}}
{{- default (printf "%s-database" (include "infra-server.fullname" .)) .Values.database.existingSecret -}}
{{- end -}}

{{/*
The bundled Postgres' address from its Service's environment variables (Kubernetes sets them in Pods started after
the Service, which Helm creates first), so that it works without cluster DNS too.
*/}}
{{- define "infra-server.postgresqlServiceVariable" -}}
{{- include "infra-server.postgresqlName" . | upper | replace "-" "_" -}}_SERVICE_HOST
{{- end -}}

{{/* The DNS names of the Service, which the generated certificate is for (with ingress.host and tls.hostnames). */}}
{{- define "infra-server.hostnames" -}}
{{- $service := include "infra-server.fullname" . -}}
{{- $names := list $service (printf "%s.%s" $service .Release.Namespace) (printf "%s.%s.svc" $service .Release.Namespace) (printf "%s.%s.svc.cluster.local" $service .Release.Namespace) "localhost" -}}
{{- if and .Values.ingress.enabled .Values.ingress.host -}}
{{- $names = append $names .Values.ingress.host -}}
{{- end -}}
{{- concat $names .Values.tls.hostnames | uniq | toJson -}}
{{- end -}}

{{/* Metadata for what keepOnUninstall keeps: the data volumes and the Secrets that open them. */}}
{{- define "infra-server.keepOnUninstall" -}}
{{- if .Values.keepOnUninstall -}}
annotations:
  helm.sh/resource-policy: keep
{{- end -}}
{{- end -}}

{{- define "infra-server.validate" -}}
{{- $mode := include "infra-server.databaseMode" . -}}
{{- if and (gt (int .Values.replicaCount) 1) (eq $mode "embedded") -}}
{{- fail "replicaCount > 1 needs a database all replicas share: set database.url or database.existingSecret (your Postgres), or postgresql.enabled=true (the bundled one); the embedded Postgres serves one replica only" -}}
{{- end -}}
{{- if and .Values.postgresql.password (not (regexMatch "^[A-Za-z0-9._~-]+$" .Values.postgresql.password)) -}}
{{- fail "postgresql.password may contain only letters, digits and . _ ~ - (it goes into the database URL as is)" -}}
{{- end -}}
{{- if and .Values.postgresql.enabled (or .Values.database.url .Values.database.existingSecret) -}}
{{- fail "postgresql.enabled and database.url/database.existingSecret exclude each other: choose the bundled Postgres or yours" -}}
{{- end -}}
{{- if and .Values.rootKey.value (lt (len (trim .Values.rootKey.value)) 16) -}}
{{- fail "rootKey.value must be at least 16 characters" -}}
{{- end -}}
{{- if and .Values.adminAccessKey.value (not (regexMatch "^[0-9A-Za-z]{10}\\.[0-9A-Za-z]{24}$" .Values.adminAccessKey.value)) -}}
{{- fail "adminAccessKey.value must be an access key <10 letters or digits>.<24 letters or digits>" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) -}}
{{- fail "ingress.host is required with ingress.enabled: the host name users reach the server at" -}}
{{- end -}}
{{- if not (has .Values.ingress.tlsMode (list "passthrough" "terminate")) -}}
{{- fail "ingress.tlsMode must be passthrough or terminate" -}}
{{- end -}}
{{- end -}}

{{/*
INFRA_SERVER_WORKERS, when the chart sets it: `workers`; else, without a CPU limit, the CPU request rounded down
(at least 1), since the server alone would take every CPU of the node. With a CPU limit the server reads it itself.
*/}}
{{- define "infra-server.workers" -}}
{{- if .Values.workers -}}
{{- .Values.workers -}}
{{- else if not (dig "limits" "cpu" "" .Values.resources) -}}
{{- $cpu := toString (dig "requests" "cpu" "1" .Values.resources) -}}
{{- $millis := ternary (trimSuffix "m" $cpu | atoi) (mulf (float64 $cpu) 1000 | int) (hasSuffix "m" $cpu) -}}
{{- max 1 (div $millis 1000) -}}
{{- end -}}
{{- end -}}
