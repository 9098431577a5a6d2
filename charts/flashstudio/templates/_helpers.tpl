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

{{/* Hosts the ingress serves: ingress.hosts, or the host of baseUrl. */}}
{{- define "flashstudio.ingressHosts" -}}
{{- if .Values.ingress.hosts }}
{{- toYaml .Values.ingress.hosts }}
{{- else }}
{{- $host := (urlParse .Values.baseUrl).host | default "" }}
{{- if not $host }}
{{- fail "baseUrl must be set (the ingress host is taken from it), or list ingress.hosts" }}
{{- end }}
{{- list (first (splitList ":" $host)) | toYaml }}
{{- end }}
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
  "BASE_URL" .Values.baseUrl
  "LOG_FORMAT" $c.logFormat
  "LOG_LEVEL" $c.logLevel
  "TRUST_PROXY_HEADERS" (toString $c.trustProxyHeaders)
  "TRUSTED_PROXY_HOPS" (toString (int64 $c.trustedProxyHops))
  "DATABASE_MAX_CONNECTIONS" (toString (int64 $c.databaseMaxConnections))
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

{{/* terminationGracePeriodSeconds of web pods: preStop + shutdown grace + margin. */}}
{{- define "flashstudio.webGracePeriod" -}}
{{- $min := add .Values.lifecycle.preStopSleepSeconds .Values.config.shutdownGraceSecs }}
{{- $set := .Values.lifecycle.terminationGracePeriodSeconds }}
{{- if kindIs "invalid" $set }}
{{- add $min 10 }}
{{- else if le (int $set) (int $min) }}
{{- fail (printf "lifecycle.terminationGracePeriodSeconds (%v) must exceed preStopSleepSeconds + config.shutdownGraceSecs (%v)" $set $min) }}
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
