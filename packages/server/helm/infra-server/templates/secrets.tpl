{{- $fullname := include "infra-server.fullname" . -}}
{{- if not .Values.rootKey.existingSecret }}
{{- $secret := include "infra-server.rootKeySecret" . }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ $secret }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-server.labels" . | nindent 4 }}
  {{- with include "infra-server.keepOnUninstall" . }}{{ . | nindent 2 }}{{ end }}
type: Opaque
data:
  {{ .Values.rootKey.secretKey }}: {{ .Values.rootKey.value | default (include "infra-server.kept" (dict "root" . "secret" $secret "key" .Values.rootKey.secretKey "generate" (randAlphaNum 48))) | b64enc | quote }}
{{- end }}
{{- if not .Values.adminAccessKey.existingSecret }}
{{- $secret := include "infra-server.adminAccessKeySecret" . }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ $secret }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-server.labels" . | nindent 4 }}
  {{- with include "infra-server.keepOnUninstall" . }}{{ . | nindent 2 }}{{ end }}
type: Opaque
data:
  {{ .Values.adminAccessKey.secretKey }}: {{ .Values.adminAccessKey.value | default (include "infra-server.kept" (dict "root" . "secret" $secret "key" .Values.adminAccessKey.secretKey "generate" (printf "%s.%s" (randAlphaNum 10) (randAlphaNum 24)))) | b64enc | quote }}
{{- end }}
{{- if and .Values.configFile.content (not .Values.configFile.existingSecret) }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "infra-server.configSecret" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-server.labels" . | nindent 4 }}
type: Opaque
data:
  {{ .Values.configFile.secretKey }}: {{ toYaml .Values.configFile.content | b64enc | quote }}
{{- end }}
{{- if and .Values.database.url (not .Values.database.existingSecret) }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "infra-server.databaseSecret" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-server.labels" . | nindent 4 }}
type: Opaque
data:
  {{ .Values.database.secretKey }}: {{ .Values.database.url | b64enc | quote }}
{{- end }}
{{- if not .Values.tls.existingSecret }}
{{- $secret := include "infra-server.tlsSecret" . }}
{{- $hostnames := include "infra-server.hostnames" . }}
{{- $ips := ternary (list .Values.service.clusterIP) list (ne .Values.service.clusterIP "") }}
{{- $names := concat (fromJsonArray $hostnames) $ips | toJson }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace $secret }}
{{- $crt := "" }}
{{- $key := "" }}
{{- if and $existing (eq (dig "metadata" "annotations" "infrahq.com/hostnames" "" $existing) $names) }}
{{- $crt = index $existing.data "tls.crt" | b64dec }}
{{- $key = index $existing.data "tls.key" | b64dec }}
{{- else }}
{{- $cert := genSelfSignedCert (include "infra-server.fullname" .) $ips (fromJsonArray $hostnames) (int .Values.tls.days) }}
{{- $crt = $cert.Cert }}
{{- $key = $cert.Key }}
{{- end }}
---
# Self-signed, generated once for these host names (again only when they change); every replica serves it.
apiVersion: v1
kind: Secret
metadata:
  name: {{ $secret }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-server.labels" . | nindent 4 }}
  annotations:
    infrahq.com/hostnames: {{ $names | quote }}
    {{- if .Values.keepOnUninstall }}
    helm.sh/resource-policy: keep
    {{- end }}
type: kubernetes.io/tls
data:
  tls.crt: {{ $crt | b64enc | quote }}
  tls.key: {{ $key | b64enc | quote }}
{{- end }}
{{- if .Values.postgresql.enabled }}
{{- $secret := include "infra-server.postgresqlName" . }}
{{- $password := .Values.postgresql.password | default (include "infra-server.kept" (dict "root" . "secret" $secret "key" "password" "generate" (randAlphaNum 32))) }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ $secret }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-server.labels" . | nindent 4 }}
    app.kubernetes.io/component: postgresql
  {{- with include "infra-server.keepOnUninstall" . }}{{ . | nindent 2 }}{{ end }}
type: Opaque
data:
  password: {{ $password | b64enc | quote }}
{{- end }}
