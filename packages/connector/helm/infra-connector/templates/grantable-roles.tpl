{{- if .Values.grantableRoles.create }}
# Narrow roles Infra can grant besides the Kubernetes defaults.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: exec
  labels:
    {{- include "infra-connector.labels" . | nindent 4 }}
    app.infrahq.com/include-role: "true"
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get, list]
  - apiGroups: [""]
    resources: [pods/exec, pods/attach]
    verbs: [create, get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: logs
  labels:
    {{- include "infra-connector.labels" . | nindent 4 }}
    app.infrahq.com/include-role: "true"
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get, list]
  - apiGroups: [""]
    resources: [pods/log]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: port-forward
  labels:
    {{- include "infra-connector.labels" . | nindent 4 }}
    app.infrahq.com/include-role: "true"
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get, list]
  - apiGroups: [""]
    resources: [pods/portforward]
    verbs: [create, get]
{{- end }}
