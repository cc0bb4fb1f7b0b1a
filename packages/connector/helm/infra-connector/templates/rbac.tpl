# What the connector needs, and no more: impersonate users and groups (never service accounts, UIDs or
# extras), manage RoleBindings/ClusterRoleBindings, bind the eligible ClusterRoles, watch namespaces and
# ClusterRoles, and keep its CA in one Secret of its own namespace.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ include "infra-connector.fullname" . }}
  labels:
    {{- include "infra-connector.labels" . | nindent 4 }}
rules:
  - apiGroups: [""]
    resources: [users, groups]
    verbs: [impersonate]
  - apiGroups: [""]
    resources: [namespaces]
    verbs: [get, list, watch]
  - apiGroups: [rbac.authorization.k8s.io]
    resources: [clusterroles]
    verbs: [get, list, watch]
  - apiGroups: [rbac.authorization.k8s.io]
    resources: [clusterroles]
    verbs: [bind]
    {{- if not .Values.rbac.bindAnyRole }}
    resourceNames:
      {{- $roles := list "cluster-admin" "admin" "edit" "view" }}
      {{- if .Values.grantableRoles.create }}
      {{- $roles = concat $roles (list "exec" "logs" "port-forward") }}
      {{- end }}
      {{- range (concat $roles .Values.roles | uniq) }}
      - {{ . | quote }}
      {{- end }}
    {{- end }}
  - apiGroups: [rbac.authorization.k8s.io]
    resources: [clusterrolebindings, rolebindings]
    verbs: [get, list, watch, create, update, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ include "infra-connector.fullname" . }}
  labels:
    {{- include "infra-connector.labels" . | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ include "infra-connector.fullname" . }}
subjects:
  - kind: ServiceAccount
    name: {{ include "infra-connector.serviceAccountName" . }}
    namespace: {{ .Release.Namespace }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ include "infra-connector.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-connector.labels" . | nindent 4 }}
rules:
  # create cannot be limited to a name; reading and filling in are.
  - apiGroups: [""]
    resources: [secrets]
    verbs: [create]
  - apiGroups: [""]
    resources: [secrets]
    resourceNames: [{{ include "infra-connector.caSecret" . | quote }}]
    verbs: [get, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ include "infra-connector.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-connector.labels" . | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ include "infra-connector.fullname" . }}
subjects:
  - kind: ServiceAccount
    name: {{ include "infra-connector.serviceAccountName" . }}
    namespace: {{ .Release.Namespace }}
