{{- define "mcpgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mcpgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "mcpgate.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "mcpgate.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "mcpgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mcpgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mcpgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "mcpgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "mcpgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mcpgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding secrets.values, or the one named instead. */}}
{{- define "mcpgate.secretName" -}}
{{- default (include "mcpgate.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Whether the chart makes the secrets Secret. */}}
{{- define "mcpgate.makesSecret" -}}
{{- if and (not .Values.secrets.existingSecret) .Values.secrets.values }}true{{ end }}
{{- end }}

{{/* The keys mcpgate reads from the secrets Secret, for mode files. */}}
{{- define "mcpgate.secretKeys" -}}
{{- if .Values.secrets.existingSecret }}
{{- toJson .Values.secrets.keys }}
{{- else }}
{{- toJson (keys .Values.secrets.values | sortAlpha) }}
{{- end }}
{{- end }}

{{/* The store URL and encryption key Secret the chart makes, if any. */}}
{{- define "mcpgate.storeSecretName" -}}
{{- printf "%s-store" (include "mcpgate.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mcpgate.makesStoreSecret" -}}
{{- $shared := ne .Values.store.type "sqlite" }}
{{- if or (and $shared .Values.store.url (not .Values.store.existingSecret)) (and .Values.encryptionKey.value (not .Values.encryptionKey.existingSecret)) }}true{{ end }}
{{- end }}

{{/* Refuses values that cannot make a working deployment, all at once. */}}
{{- define "mcpgate.validate" -}}
{{- $problems := list }}
{{- $cfg := fromYaml .Values.config }}
{{- if hasKey $cfg "Error" }}
{{- $problems = append $problems (printf "config is not a YAML mapping: %s" $cfg.Error) }}
{{- else if not $cfg.public_url }}
{{- $problems = append $problems "config: public_url is required" }}
{{- end }}
{{- if not (has .Values.store.type (list "sqlite" "postgres" "redis")) }}
{{- $problems = append $problems (printf "store.type %q: want sqlite, postgres or redis" .Values.store.type) }}
{{- end }}
{{- if and (eq .Values.store.type "sqlite") (gt (int .Values.replicaCount) 1) }}
{{- $problems = append $problems "replicaCount above 1 needs a shared store: set store.type to postgres or redis" }}
{{- end }}
{{- if and (ne .Values.store.type "sqlite") (not .Values.store.url) (not .Values.store.existingSecret) }}
{{- $problems = append $problems (printf "store.type %s: set store.url or store.existingSecret" .Values.store.type) }}
{{- end }}
{{- if and (ne .Values.store.type "sqlite") (not .Values.encryptionKey.value) (not .Values.encryptionKey.existingSecret) }}
{{- $problems = append $problems "a shared store keeps the signing keys: set encryptionKey.value or encryptionKey.existingSecret, the same for every replica" }}
{{- end }}
{{- if and .Values.encryptionKey.value (lt (len .Values.encryptionKey.value) 32) }}
{{- $problems = append $problems "encryptionKey.value: want at least 32 bytes" }}
{{- end }}
{{- if not (has .Values.secrets.mode (list "env" "files")) }}
{{- $problems = append $problems (printf "secrets.mode %q: want env or files" .Values.secrets.mode) }}
{{- end }}
{{- if and (eq .Values.secrets.mode "files") .Values.secrets.existingSecret (not .Values.secrets.keys) }}
{{- $problems = append $problems "secrets.mode files with secrets.existingSecret: list the Secret's keys in secrets.keys" }}
{{- end }}
{{- range $k, $v := .Values.secrets.values }}
{{- if not (regexMatch "^MCPGATE_[A-Z0-9_]+$" $k) }}
{{- $problems = append $problems (printf "secrets.values key %q: want an MCPGATE_* variable name" $k) }}
{{- end }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled .Values.podDisruptionBudget.minAvailable .Values.podDisruptionBudget.maxUnavailable }}
{{- $problems = append $problems "podDisruptionBudget: set minAvailable or maxUnavailable, not both" }}
{{- end }}
{{- if $problems }}
{{- fail (printf "\nthe values have %d problem(s):\n  %s" (len $problems) (join "\n  " $problems)) }}
{{- end }}
{{- end }}
