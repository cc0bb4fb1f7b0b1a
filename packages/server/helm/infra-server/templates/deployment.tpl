{{- include "infra-server.validate" . -}}
{{- $mode := include "infra-server.databaseMode" . -}}
{{- $scheme := ternary "HTTP" "HTTPS" (eq (include "infra-server.insecureHttp" .) "true") -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "infra-server.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-server.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  {{- if eq $mode "embedded" }}
  # One Postgres owns the data volume: the old Pod stops before the new one starts.
  strategy:
    type: Recreate
  {{- end }}
  selector:
    matchLabels:
      {{- include "infra-server.selectorLabels" . | nindent 6 }}
      app.kubernetes.io/component: server
  template:
    metadata:
      labels:
        {{- include "infra-server.selectorLabels" . | nindent 8 }}
        app.kubernetes.io/component: server
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- if .Values.configFile.content }}
        checksum/config: {{ toYaml .Values.configFile.content | sha256sum }}
        {{- end }}
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      automountServiceAccountToken: false
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
      {{- if eq $mode "bundled" }}
      initContainers:
        # The server exits when its database is unreachable at start; waiting here spares it crash-loop back-offs.
        - name: wait-for-postgresql
          image: {{ include "infra-server.image" . }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          command:
            - node
            - -e
            - |
              const { connect } = require('node:net')
              const attempt = () => connect(5432, process.env.{{ include "infra-server.postgresqlServiceVariable" . }})
                .on('connect', () => process.exit(0))
                .on('error', () => setTimeout(attempt, 1000))
              attempt()
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
      {{- end }}
      containers:
        - name: server
          image: {{ include "infra-server.image" . }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          env:
            - name: INFRA_SERVER_PORT
              value: {{ .Values.containerPort | quote }}
            - name: INFRA_SERVER_DATA_DIR
              value: /data
            - name: INFRA_SERVER_LOG_LEVEL
              value: {{ .Values.logLevel | quote }}
            - name: INFRA_SERVER_ACCESS_LOG
              value: {{ .Values.accessLog | quote }}
            {{- with include "infra-server.workers" . }}
            - name: INFRA_SERVER_WORKERS
              value: {{ . | quote }}
            {{- end }}
            - name: HOME
              value: /tmp
            - name: INFRA_ROOT_KEY
              valueFrom:
                secretKeyRef:
                  name: {{ include "infra-server.rootKeySecret" . }}
                  key: {{ .Values.rootKey.secretKey }}
            - name: INFRA_ADMIN_ACCESS_KEY
              valueFrom:
                secretKeyRef:
                  name: {{ include "infra-server.adminAccessKeySecret" . }}
                  key: {{ .Values.adminAccessKey.secretKey }}
            {{- if eq $mode "external" }}
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {{ include "infra-server.databaseSecret" . }}
                  key: {{ .Values.database.secretKey }}
            {{- else if eq $mode "bundled" }}
            - name: INFRA_POSTGRESQL_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ include "infra-server.postgresqlName" . }}
                  key: password
            - name: DATABASE_URL
              value: postgresql://infra:$(INFRA_POSTGRESQL_PASSWORD)@$({{ include "infra-server.postgresqlServiceVariable" . }}):5432/infra
            {{- end }}
            {{- if include "infra-server.hasConfigFile" . }}
            - name: INFRA_SERVER_CONFIG_FILE
              value: /etc/infra/config/{{ .Values.configFile.secretKey }}
            {{- end }}
            {{- if include "infra-server.insecureHttp" . }}
            # TLS ends at the ingress (ingress.tlsMode=terminate).
            - name: INFRA_SERVER_INSECURE_HTTP
              value: "true"
            {{- else }}
            - name: INFRA_SERVER_TLS_CERT
              value: /etc/infra/tls/tls.crt
            - name: INFRA_SERVER_TLS_KEY
              value: /etc/infra/tls/tls.key
            {{- end }}
            {{- with .Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: https
              containerPort: {{ .Values.containerPort }}
              protocol: TCP
          startupProbe:
            httpGet:
              path: /healthz
              port: https
              scheme: {{ $scheme }}
            periodSeconds: 2
            failureThreshold: 150
          readinessProbe:
            httpGet:
              path: /healthz
              port: https
              scheme: {{ $scheme }}
            periodSeconds: 5
          livenessProbe:
            httpGet:
              path: /healthz
              port: https
              scheme: {{ $scheme }}
            periodSeconds: 10
            failureThreshold: 6
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: data
              mountPath: /data
            {{- if not (include "infra-server.insecureHttp" .) }}
            - name: tls
              mountPath: /etc/infra/tls
              readOnly: true
            {{- end }}
            {{- if include "infra-server.hasConfigFile" . }}
            - name: config
              mountPath: /etc/infra/config
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: {}
        - name: data
          {{- if and (eq $mode "embedded") .Values.persistence.enabled }}
          persistentVolumeClaim:
            claimName: {{ .Values.persistence.existingClaim | default (printf "%s-data" (include "infra-server.fullname" .)) }}
          {{- else }}
          # Nothing to keep here: the database is elsewhere, the keys and certificate come from Secrets.
          emptyDir: {}
          {{- end }}
        {{- if not (include "infra-server.insecureHttp" .) }}
        - name: tls
          secret:
            secretName: {{ include "infra-server.tlsSecret" . }}
        {{- end }}
        {{- if include "infra-server.hasConfigFile" . }}
        - name: config
          secret:
            secretName: {{ include "infra-server.configSecret" . }}
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
