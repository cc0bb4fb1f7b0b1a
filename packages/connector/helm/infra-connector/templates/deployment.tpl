apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "infra-connector.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-connector.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      {{- include "infra-connector.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "infra-connector.selectorLabels" . | nindent 8 }}
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/access-key: {{ include (print $.Template.BasePath "/secret.tpl") . | sha256sum }}
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "infra-connector.serviceAccountName" . }}
      automountServiceAccountToken: true
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: 30
      containers:
        - name: connector
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          args:
            - --server={{ .Values.server.url }}
            - --name={{ .Values.name }}
            - --endpoint={{ .Values.endpoint }}
            - --listen=:{{ .Values.containerPort }}
            - --health-listen=:{{ .Values.healthPort }}
            - --ca-secret={{ include "infra-connector.caSecret" . }}
            # The bindings it makes for grants belong to its ClusterRole: uninstalling deletes them with it.
            - --owner-cluster-role={{ include "infra-connector.fullname" . }}
            - --tls-san={{ include "infra-connector.fullname" . }}.{{ .Release.Namespace }}.svc
            {{- range .Values.tlsSANs }}
            - --tls-san={{ . }}
            {{- end }}
            {{- range .Values.roles }}
            - --role={{ . }}
            {{- end }}
            {{- if .Values.server.ca }}
            - --server-ca=/etc/infra/server-ca/ca.crt
            {{- end }}
            {{- if .Values.server.skipTLSVerify }}
            - --skip-tls-verify
            {{- end }}
            - --audit={{ .Values.audit.mode }}
            - --audit-buffer={{ int .Values.audit.buffer }}
            - --log-level={{ .Values.logLevel }}
          env:
            - name: INFRA_ACCESS_KEY
              valueFrom:
                secretKeyRef:
                  name: {{ include "infra-connector.accessKeySecret" . }}
                  key: {{ .Values.accessKey.secretKey }}
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: HOME
              value: /tmp
          ports:
            - name: https
              containerPort: {{ .Values.containerPort }}
              protocol: TCP
            - name: health
              containerPort: {{ .Values.healthPort }}
              protocol: TCP
          readinessProbe:
            httpGet:
              path: /readyz
              port: health
            periodSeconds: 5
          livenessProbe:
            httpGet:
              path: /healthz
              port: health
            periodSeconds: 10
            failureThreshold: 6
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if .Values.server.ca }}
            - name: server-ca
              mountPath: /etc/infra/server-ca
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: {}
        {{- if .Values.server.ca }}
        - name: server-ca
          configMap:
            name: {{ include "infra-connector.fullname" . }}-server-ca
        {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- if .Values.server.ca }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "infra-connector.fullname" . }}-server-ca
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-connector.labels" . | nindent 4 }}
data:
  ca.crt: |
    {{- .Values.server.ca | nindent 4 }}
{{- end }}
