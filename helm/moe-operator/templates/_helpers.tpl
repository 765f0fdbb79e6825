{{/* The chart's name, or nameOverride. */}}
{{- define "moe-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name for the release's objects: "moe-operator" when the release is called so. */}}
{{- define "moe-operator.fullname" -}}
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

{{- define "moe-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "moe-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* On every object of the chart. */}}
{{- define "moe-operator.labels" -}}
{{ include "moe-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: moe-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "moe-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "moe-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Who the RBAC bindings grant to: the operator's ServiceAccount. */}}
{{- define "moe-operator.subjects" -}}
- kind: ServiceAccount
  name: {{ include "moe-operator.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}

{{/* Value combinations the schema cannot explain well, refused with what to do instead. */}}
{{- define "moe-operator.validate" -}}
{{- if and (not .Values.leaderElection.enabled) (gt (int .Values.replicas) 1) }}
{{- fail (printf "replicas: %d replicas without leader election would all reconcile the same MoEDeployments; set replicas=1 or leaderElection.enabled=true" (int .Values.replicas)) }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled (not .Values.metrics.service.enabled) }}
{{- fail "serviceMonitor.enabled: the ServiceMonitor scrapes the metrics Service; set metrics.service.enabled=true too" }}
{{- end }}
{{- end }}

{{- define "moe-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The rules the operator needs on MoEDeployments and their children in a watched namespace: exactly
the API calls in operator/src/main/java (reconcile/, MoEOperator); ChartRbacIT runs the operator
with nothing more and fails on any 403. Server-side apply is a PATCH, plus "create" when it makes
the object. Shared by the ClusterRole (all namespaces) and the per-namespace Roles.
*/}}
{{- define "moe-operator.rules" -}}
# The primary resource: informer (get/list/watch), status written by server-side apply.
- apiGroups: [serving.moe-operator.io]
  resources: [moedeployments]
  verbs: [get, list, watch]
- apiGroups: [serving.moe-operator.io]
  resources: [moedeployments/status]
  verbs: [patch]
# The autoscaler reads HorizontalPodAutoscalers and scales MoEDeployments through /scale.
- apiGroups: [serving.moe-operator.io]
  resources: [moedeployments/scale]
  verbs: [get, patch, update]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch]
# Children: informers, server-side apply, and deletion of groups removed by a scale-down.
- apiGroups: [apps]
  resources: [statefulsets]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [""]
  resources: [services]
  verbs: [get, list, watch, create, patch, delete]
# ConfigMaps: earlier versions made <name>-runtime; the operator finds them and deletes them.
- apiGroups: [""]
  resources: [configmaps]
  verbs: [list, watch, delete]
# Only the shared secret of an expert-parallel deployment's ranks (<name>-ep), read by name and
# kept as desired by server-side apply; the operator never lists or watches secrets.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, create, patch]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch, create, patch]
# Written only where the cluster serves the API (looked up one by one).
- apiGroups: [monitoring.coreos.com]
  resources: [servicemonitors]
  verbs: [get, create, patch]
# kubectl describe moe/<name> shows these.
- apiGroups: [""]
  resources: [events]
  verbs: [create]
{{- end }}
