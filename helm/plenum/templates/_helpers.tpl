{{/* The roles, in a fixed order. */}}
{{- define "plenum.roles" -}}
gateway tenants documents search portal
{{- end -}}

{{- define "plenum.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "plenum.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one role: (dict "root" $ "role" "gateway") */}}
{{- define "plenum.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "plenum.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "plenum.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{ .Values.serviceAccount.name | default (include "plenum.fullname" .) }}
{{- else -}}
{{ .Values.serviceAccount.name | default "default" }}
{{- end -}}
{{- end -}}

{{/* Whether a role keeps state on a volume and must stay a single replica. */}}
{{- define "plenum.stateful" -}}
{{- if and (eq .role "documents") (eq .root.Values.documents.storage "fs") -}}true
{{- else if and (eq .role "search") (eq .root.Values.search.backend "embedded") -}}true
{{- end -}}
{{- end -}}

{{/* The roles a role calls (its peers). */}}
{{- define "plenum.calls" -}}
{{- $calls := dict "gateway" (list "tenants" "documents" "search") "tenants" (list) "documents" (list "tenants") "search" (list "tenants" "documents") "portal" (list "gateway" "tenants") "migration" (list) -}}
{{- get $calls .role | join " " -}}
{{- end -}}

{{/* The outside dependencies a role uses. */}}
{{- define "plenum.dependencies" -}}
{{- $v := .root.Values -}}
{{- $deps := list -}}
{{- if ne .role "migration" -}}{{- $deps = list "redis" "otlp" -}}{{- end -}}
{{- if has .role (list "tenants" "documents" "search" "portal" "migration") -}}{{- $deps = append $deps "database" -}}{{- end -}}
{{- if and (eq .role "documents") (eq $v.documents.storage "s3") -}}{{- $deps = append $deps "s3" -}}{{- end -}}
{{- if and (eq .role "search") (eq $v.search.backend "meilisearch") -}}{{- $deps = append $deps "meilisearch" -}}{{- end -}}
{{- if has .role (list "gateway" "portal") -}}{{- $deps = append $deps "oidc" -}}{{- end -}}
{{- if and (eq .role "tenants") $v.mail.smtpUrlSecret.name -}}{{- $deps = append $deps "smtp" -}}{{- end -}}
{{- $deps | join " " -}}
{{- end -}}

{{/* Environment shared by every role and the migration Job. */}}
{{- define "plenum.env" -}}
{{- $v := .Values -}}
{{- $full := include "plenum.fullname" . -}}
- name: PLENUM_SERVER__LISTEN
  value: "0.0.0.0:8080"
- name: PLENUM_SERVER__PUBLIC_BASE_URL
  value: {{ required "publicBaseUrl is required (the installation's public address)" $v.publicBaseUrl | quote }}
- name: PLENUM_SERVER__TRUST_FORWARDED_FOR
  value: {{ $v.server.trustForwardedFor | quote }}
- name: PLENUM_SERVER__SHUTDOWN_GRACE_SECS
  value: {{ int64 $v.server.shutdownGraceSecs | quote }}
- name: PLENUM_INTERNAL__SIGNING_KEY
  valueFrom:
    secretKeyRef:
      name: {{ required "internal.signingKeySecret.name is required" $v.internal.signingKeySecret.name }}
      key: {{ $v.internal.signingKeySecret.key }}
- name: PLENUM_INTERNAL__TOKEN_TTL_SECS
  value: {{ int64 $v.internal.tokenTtlSecs | quote }}
{{- if $v.database.urlSecret.name }}
- name: PLENUM_DATABASE__URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.database.urlSecret.name }}
      key: {{ $v.database.urlSecret.key }}
{{- else }}
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "database.urlSecret.name or database.passwordSecret.name is required" $v.database.passwordSecret.name }}
      key: {{ $v.database.passwordSecret.key }}
- name: PLENUM_DATABASE__URL
  value: {{ printf "postgres://%s:$(DATABASE_PASSWORD)@%s:%d/%s" $v.database.user (required "database.host is required without database.urlSecret" $v.database.host) (int $v.database.port) $v.database.name | quote }}
{{- end }}
- name: PLENUM_DATABASE__POOL_SIZE
  value: {{ int64 $v.database.poolSize | quote }}
- name: PLENUM_DATABASE__ACQUIRE_TIMEOUT_SECS
  value: {{ int64 $v.database.acquireTimeoutSecs | quote }}
- name: PLENUM_DATABASE__STATEMENT_TIMEOUT_SECS
  value: {{ int64 $v.database.statementTimeoutSecs | quote }}
{{- if $v.redis.urlSecret.name }}
- name: PLENUM_REDIS__URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.redis.urlSecret.name }}
      key: {{ $v.redis.urlSecret.key }}
{{- end }}
- name: PLENUM_REDIS__EVENTS_STREAM
  value: {{ $v.redis.eventsStream | quote }}
{{- range $role := list "gateway" "tenants" "documents" "search" }}
- name: PLENUM_PEERS__{{ upper $role }}
  value: {{ printf "http://%s-%s:8080" $full $role | quote }}
{{- end }}
- name: PLENUM_DOCUMENTS__STORAGE
  value: {{ $v.documents.storage | quote }}
- name: PLENUM_DOCUMENTS__ROOT
  value: /data/files
- name: PLENUM_DOCUMENTS__WORK_DIR
  value: /tmp/plenum-work
- name: PLENUM_DOCUMENTS__MAX_UPLOAD_BYTES
  value: {{ int64 $v.documents.maxUploadBytes | quote }}
{{- if eq $v.documents.storage "s3" }}
- name: PLENUM_DOCUMENTS__S3_ENDPOINT
  value: {{ required "documents.s3.endpoint is required with storage s3" $v.documents.s3.endpoint | quote }}
- name: PLENUM_DOCUMENTS__S3_BUCKET
  value: {{ required "documents.s3.bucket is required with storage s3" $v.documents.s3.bucket | quote }}
- name: PLENUM_DOCUMENTS__S3_REGION
  value: {{ $v.documents.s3.region | quote }}
- name: PLENUM_DOCUMENTS__S3_PATH_STYLE
  value: {{ $v.documents.s3.pathStyle | quote }}
- name: PLENUM_DOCUMENTS__S3_ROOT
  value: {{ $v.documents.s3.root | quote }}
- name: PLENUM_DOCUMENTS__S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ required "documents.s3.credentialsSecret.name is required with storage s3" $v.documents.s3.credentialsSecret.name }}
      key: {{ $v.documents.s3.credentialsSecret.accessKeyIdKey }}
- name: PLENUM_DOCUMENTS__S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.documents.s3.credentialsSecret.name }}
      key: {{ $v.documents.s3.credentialsSecret.secretAccessKeyKey }}
{{- end }}
- name: PLENUM_SEARCH__BACKEND
  value: {{ $v.search.backend | quote }}
- name: PLENUM_SEARCH__DIR
  value: /data/search
{{- if eq $v.search.backend "meilisearch" }}
- name: PLENUM_SEARCH__MEILI_URL
  value: {{ required "search.meilisearch.url is required with backend meilisearch" $v.search.meilisearch.url | quote }}
- name: PLENUM_SEARCH__MEILI_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ required "search.meilisearch.apiKeySecret.name is required with backend meilisearch" $v.search.meilisearch.apiKeySecret.name }}
      key: {{ $v.search.meilisearch.apiKeySecret.key }}
- name: PLENUM_SEARCH__MEILI_INDEX_PREFIX
  value: {{ $v.search.meilisearch.indexPrefix | quote }}
{{- end }}
{{- if $v.mail.smtpUrlSecret.name }}
- name: PLENUM_MAIL__SMTP_URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.mail.smtpUrlSecret.name }}
      key: {{ $v.mail.smtpUrlSecret.key }}
{{- end }}
- name: PLENUM_MAIL__FROM
  value: {{ $v.mail.from | quote }}
- name: PLENUM_TELEMETRY__LOG_FORMAT
  value: {{ $v.telemetry.logFormat | quote }}
- name: PLENUM_TELEMETRY__LOG_FILTER
  value: {{ $v.telemetry.logFilter | quote }}
- name: PLENUM_TELEMETRY__SERVICE_NAME
  value: {{ $v.telemetry.serviceName | quote }}
{{- if $v.telemetry.otlpEndpoint }}
- name: PLENUM_TELEMETRY__OTLP_ENDPOINT
  value: {{ $v.telemetry.otlpEndpoint | quote }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Pod and container security: non-root, read-only root, no capabilities, seccomp. */}}
{{- define "plenum.podSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "plenum.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}
