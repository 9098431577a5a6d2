{{/* Names */}}
{{- define "flashstudio.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "flashstudio.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The port `serve` listens on inside the pod (FLASHSTUDIO_ADDR), and `worker --addr`. */}}
{{- define "flashstudio.port" -}}8080{{- end }}

{{/* The data directory (FLASHSTUDIO_DATA_DIR), an emptyDir. */}}
{{- define "flashstudio.dataDir" -}}/var/lib/flashstudio{{- end }}

{{/* Common labels */}}
{{- define "flashstudio.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "flashstudio.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: flashstudio
{{- end }}

{{/* Selector labels of one component (web, worker, migrate): pass (list $ "web"). */}}
{{- define "flashstudio.selectorLabels" -}}
{{- $ := index . 0 -}}
app.kubernetes.io/name: {{ include "flashstudio.name" $ }}
app.kubernetes.io/instance: {{ $.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "flashstudio.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end }}
{{- end }}

{{/* The Secret the app reads its secrets from. */}}
{{- define "flashstudio.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- include "flashstudio.fullname" . }}
{{- end }}
{{- end }}

{{- define "flashstudio.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "flashstudio.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "flashstudio.workloadIdentity" -}}
{{- if and (eq .Values.storage.backend "azure") (eq .Values.storage.azure.auth "workloadIdentity") }}true{{ end }}
{{- end }}

{{/*
Hosts the ingress serves: ingress.hosts, or the host of baseUrl, lowercased (host names are
case-insensitive, and the API server refuses an Ingress host with capitals, which baseUrl may
have); an empty list while neither is set (then no Ingress is rendered: a rule without a host
would take every host of the ingress class, other sites' traffic included).
*/}}
{{- define "flashstudio.ingressHosts" -}}
{{- if .Values.ingress.hosts }}
{{- toYaml .Values.ingress.hosts }}
{{- else if .Values.baseUrl }}
{{- list (lower (first (splitList ":" (urlParse .Values.baseUrl).host))) | toYaml }}
{{- else }}
{{- list | toYaml }}
{{- end }}
{{- end }}

{{/*
The settings nobody can guess that are still empty, as a YAML list of {key, var, effect}
(effect: lines of text), in the order the app checks them at startup (src/config/), then
the ones it does not refuse. NOTES.txt prints them first, under "NOT CONFIGURED YET". Only
values the chart can see: the keys of an existingSecret are the operator's to check.
*/}}
{{- define "flashstudio.missing" -}}
{{- $v := .Values }}
{{- $fullname := include "flashstudio.fullname" . }}
{{- $prod := eq $v.environment "production" }}
{{- $made := not $v.secrets.existingSecret }}
{{- $s := $v.secrets.values | default dict }}
{{- $pods := ternary "The web and worker pods exit at startup, their log saying" "The web pods exit at startup, their log saying" $v.worker.enabled }}
{{- $azure := eq $v.storage.backend "azure" }}
{{- $auth := $v.storage.azure.auth }}
{{- $out := list }}
{{- if and $prod (not $v.baseUrl) }}
{{- $e := list $pods "  error: BASE_URL is required in production (the public https address, used in emails and links)." }}
{{- if and $v.ingress.enabled (not $v.ingress.hosts) }}
{{- $e = append $e "No Ingress is created until it is set (the Ingress host is taken from baseUrl)." }}
{{- end }}
{{- $out = append $out (dict "key" "baseUrl" "var" "BASE_URL" "effect" $e) }}
{{- end }}
{{- if and $prod $made (not (trim ($s.DATABASE_URL | default ""))) }}
{{- $msg := "  error: DATABASE_URL is required in production (postgres://user:password@host/db)." }}
{{- if $v.migrations.enabled }}
{{- $out = append $out (dict "key" "secrets.values.DATABASE_URL" "var" "DATABASE_URL" "effect" (list
  "The migration Job (the pre-install/pre-upgrade hook) exits, its log saying" $msg
  "so `helm install` / `helm upgrade` fail (\"... failed: BackoffLimitExceeded\") before any pod"
  "starts. Helm 3.18+ prints that log with its error; otherwise:"
  (printf "  kubectl -n %s logs job/%s-migrate" .Release.Namespace $fullname))) }}
{{- else }}
{{- $out = append $out (dict "key" "secrets.values.DATABASE_URL" "var" "DATABASE_URL" "effect" (list $pods $msg)) }}
{{- end }}
{{- end }}
{{- if and $prod $made (not (trim ($s.SECRET_KEY | default ""))) }}
{{- $out = append $out (dict "key" "secrets.values.SECRET_KEY" "var" "SECRET_KEY" "effect" (list $pods
  "  error: SECRET_KEY is required in production; generate one with `openssl rand -hex 32`.")) }}
{{- end }}
{{- if and $prod $made (not (trim ($s.SMTP_URL | default ""))) }}
{{- $out = append $out (dict "key" "secrets.values.SMTP_URL" "var" "SMTP_URL" "effect" (list $pods
  "  error: SMTP_URL is required in production; writing mail to files is a development adapter.")) }}
{{- end }}
{{- $connMissing := and $made (not (trim ($s.AZURE_STORAGE_CONNECTION_STRING | default ""))) }}
{{- $storageMsg := list $pods "  error: STORAGE_BACKEND is azure but neither AZURE_STORAGE_ACCOUNT nor AZURE_STORAGE_CONNECTION_STRING names the storage account." }}
{{- if and $azure (not $v.storage.azure.account) (ne $auth "connectionString") }}
{{- $out = append $out (dict "key" "storage.azure.account" "var" "AZURE_STORAGE_ACCOUNT" "effect" $storageMsg) }}
{{- else if and $azure (not $v.storage.azure.account) $connMissing }}
{{- $out = append $out (dict "key" "secrets.values.AZURE_STORAGE_CONNECTION_STRING" "var" "AZURE_STORAGE_CONNECTION_STRING" "effect" $storageMsg) }}
{{- end }}
{{- if and (eq $v.payments.gateway "stripe") $made }}
{{- if not (trim ($s.STRIPE_SECRET_KEY | default "")) }}
{{- $out = append $out (dict "key" "secrets.values.STRIPE_SECRET_KEY" "var" "STRIPE_SECRET_KEY" "effect" (list $pods
  "  error: STRIPE_SECRET_KEY is required with PAYMENT_GATEWAY=stripe.")) }}
{{- end }}
{{- if not (trim ($s.STRIPE_WEBHOOK_SECRET | default "")) }}
{{- $out = append $out (dict "key" "secrets.values.STRIPE_WEBHOOK_SECRET" "var" "STRIPE_WEBHOOK_SECRET" "effect" (list $pods
  "  error: STRIPE_WEBHOOK_SECRET is required with PAYMENT_GATEWAY=stripe (the endpoint's whsec_... secret).")) }}
{{- end }}
{{- end }}
{{- $noSignIn := list "The pods start but cannot sign in to the storage account: /ready answers 503" "(storage \"unreachable\") and no pod becomes ready." }}
{{- if and $azure (eq $auth "accessKey") $made (not (trim ($s.AZURE_STORAGE_ACCESS_KEY | default ""))) }}
{{- $out = append $out (dict "key" "secrets.values.AZURE_STORAGE_ACCESS_KEY" "var" "AZURE_STORAGE_ACCESS_KEY" "effect" $noSignIn) }}
{{- end }}
{{- if and $azure (eq $auth "connectionString") $v.storage.azure.account $connMissing }}
{{- $out = append $out (dict "key" "secrets.values.AZURE_STORAGE_CONNECTION_STRING" "var" "AZURE_STORAGE_CONNECTION_STRING" "effect" $noSignIn) }}
{{- end }}
{{- if and (include "flashstudio.workloadIdentity" .) $v.serviceAccount.create (not $v.serviceAccount.workloadIdentity.clientId) }}
{{- $out = append $out (dict "key" "serviceAccount.workloadIdentity.clientId" "var" "annotation azure.workload.identity/client-id" "effect" (list
  "The pods start but get no workload identity token for the storage account: /ready answers"
  "503 (storage \"unreachable\") and no pod becomes ready.")) }}
{{- end }}
{{- if and $v.metrics.token $made (not (trim ($s.METRICS_TOKEN | default ""))) }}
{{- $e := list "The pods start, but /metrics is OPEN to anyone: metrics.token is true, yet there is no" "token to check, and the Ingress serves every path." }}
{{- if $v.metrics.serviceMonitor.enabled }}
{{- $e = append $e "The ServiceMonitor's bearer token (key METRICS_TOKEN) is missing: Prometheus cannot scrape." }}
{{- end }}
{{- $out = append $out (dict "key" "secrets.values.METRICS_TOKEN" "var" "METRICS_TOKEN" "effect" $e) }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
The non-secret settings, as a YAML map of environment variable -> string, rendered into the
ConfigMap of the web and worker Deployments. (The migration Job needs none of them.)
*/}}
{{- define "flashstudio.configData" -}}
{{- $c := .Values.config -}}
{{- $d := dict
  "FLASHSTUDIO_ENV" .Values.environment
  "FLASHSTUDIO_ADDR" (printf "0.0.0.0:%s" (include "flashstudio.port" .))
  "FLASHSTUDIO_DATA_DIR" (include "flashstudio.dataDir" .)
  "LOG_FORMAT" $c.logFormat
  "LOG_LEVEL" $c.logLevel
  "TRUST_PROXY_HEADERS" (toString $c.trustProxyHeaders)
  "TRUSTED_PROXY_HOPS" (toString (int64 $c.trustedProxyHops))
  "DATABASE_MAX_CONNECTIONS" (toString (int64 $c.databaseMaxConnections))
  "SHUTDOWN_DRAIN_SECS" (toString (int64 $c.shutdownDrainSecs))
  "SHUTDOWN_GRACE_SECS" (toString (int64 $c.shutdownGraceSecs))
  "CURRENCY" $c.currency
  "PAYMENT_GATEWAY" .Values.payments.gateway
  "STORAGE_BACKEND" .Values.storage.backend
  "UPLOAD_MAX_IMAGE_MB" (toString (int64 $c.uploads.maxImageMb))
  "UPLOAD_MAX_VIDEO_MB" (toString (int64 $c.uploads.maxVideoMb))
  "UPLOAD_MAX_DOCUMENT_MB" (toString (int64 $c.uploads.maxDocumentMb))
  "UPLOAD_MAX_ARCHIVE_MB" (toString (int64 $c.uploads.maxArchiveMb))
  "UPLOAD_MAX_CONCURRENT" (toString (int64 $c.uploads.maxConcurrent))
  "WORKER_CONCURRENCY" (toString (int64 .Values.worker.concurrency))
-}}
{{- if .Values.migrations.enabled }}
{{- $_ := set $d "AUTO_MIGRATE" "false" }}
{{- end }}
{{- /* Empty values are left out: the app treats unset and empty alike, and names what it misses. */}}
{{- with .Values.baseUrl }}{{ $_ := set $d "BASE_URL" . }}{{ end }}
{{- with $c.mailFrom }}{{ $_ := set $d "MAIL_FROM" . }}{{ end }}
{{- with $c.staffEmail }}{{ $_ := set $d "STAFF_EMAIL" . }}{{ end }}
{{- if eq .Values.storage.backend "azure" }}
{{- $a := .Values.storage.azure }}
{{- with $a.account }}{{ $_ := set $d "AZURE_STORAGE_ACCOUNT" . }}{{ end }}
{{- $_ := set $d "AZURE_STORAGE_CONTAINER" $a.container }}
{{- with $a.endpoint }}{{ $_ := set $d "AZURE_STORAGE_ENDPOINT" . }}{{ end }}
{{- $_ := set $d "AZURE_STORAGE_CREATE_CONTAINER" (toString $a.createContainer) }}
{{- if and (eq $a.auth "managedIdentity") $a.managedIdentityClientId }}
{{- $_ := set $d "AZURE_CLIENT_ID" $a.managedIdentityClientId }}
{{- end }}
{{- else }}
{{- $_ := set $d "MEDIA_DIR" (printf "%s/media" (include "flashstudio.dataDir" .)) }}
{{- end }}
{{- range $k, $v := $c.extra }}
{{- $_ := set $d $k (toString $v) }}
{{- end }}
{{- toYaml $d }}
{{- end }}

{{/* terminationGracePeriodSeconds of web pods: drain + shutdown grace + margin. */}}
{{- define "flashstudio.webGracePeriod" -}}
{{- $min := add .Values.config.shutdownDrainSecs .Values.config.shutdownGraceSecs }}
{{- $set := .Values.lifecycle.terminationGracePeriodSeconds }}
{{- if kindIs "invalid" $set }}
{{- add $min 10 }}
{{- else if le (int $set) (int $min) }}
{{- fail (printf "lifecycle.terminationGracePeriodSeconds (%v) must exceed config.shutdownDrainSecs + config.shutdownGraceSecs (%v)" $set $min) }}
{{- else }}
{{- $set }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by the web and worker Deployments and the Job. */}}
{{- define "flashstudio.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The writable volumes (the root filesystem is read-only). */}}
{{- define "flashstudio.volumes" -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .Values.volumes.tmpSizeLimit }}
  - name: data
    emptyDir:
      sizeLimit: {{ .Values.volumes.dataSizeLimit }}
{{- end }}

{{- define "flashstudio.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: data
    mountPath: {{ include "flashstudio.dataDir" . }}
{{- end }}
