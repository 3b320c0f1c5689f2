package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
)

// The merged OpenAPI v2 document generate.sh makes from the proto comments
// and google.api.http annotations.
//
//go:embed gen/openapi/aia.swagger.json
var generatedOpenAPI []byte

// gatewayPaths documents the routes the gateway serves itself, which no
// RPC annotation describes.
var gatewayPaths = map[string]any{
	"/health":  healthPathDoc("Gateway_Health", "Backend health through the gateway (the seed's deployment check)."),
	"/healthz": healthPathDoc("Gateway_Healthz", "Same as /health, under the Kubernetes probe name."),
	"/openapi.json": map[string]any{"get": map[string]any{
		"summary":     "This OpenAPI v2 document.",
		"operationId": "Gateway_OpenAPI",
		"tags":        []string{"Gateway"},
		"produces":    []string{"application/json"},
		"responses":   map[string]any{"200": map[string]any{"description": "The document.", "schema": map[string]any{"type": "object"}}},
	}},
}

func healthPathDoc(operationID, summary string) map[string]any {
	report := map[string]any{"type": "object", "properties": map[string]any{
		"status":     map[string]any{"type": "string", "description": "SERVING, NOT_SERVING, SERVICE_UNKNOWN or UNREACHABLE."},
		"service":    map[string]any{"type": "string"},
		"backend":    map[string]any{"type": "string"},
		"error":      map[string]any{"type": "string"},
		"latency_ms": map[string]any{"type": "number"},
	}}
	return map[string]any{"get": map[string]any{
		"summary": summary,
		"description": "Asks aia-server's grpc.health.v1 Check for the service named by ?service= " +
			"(default: the whole server) within --health-timeout.",
		"operationId": operationID,
		"tags":        []string{"Gateway"},
		"produces":    []string{"application/json"},
		"parameters": []any{map[string]any{"name": "service", "in": "query", "type": "string", "required": false,
			"description": "A grpc.health.v1 service name, e.g. aia.v1.SystemService."}},
		"responses": map[string]any{
			"200": map[string]any{"description": "The backend is SERVING.", "schema": report},
			"404": map[string]any{"description": "The backend does not know the service.", "schema": report},
			"503": map[string]any{"description": "The backend is NOT_SERVING or unreachable.", "schema": report},
		},
	}}
}

// openAPIDocument is the generated document plus the gateway's own paths.
func openAPIDocument() ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(generatedOpenAPI, &doc); err != nil {
		return nil, fmt.Errorf("embedded OpenAPI document: %w", err)
	}
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("embedded OpenAPI document has no paths")
	}
	for p, item := range gatewayPaths {
		paths[p] = item
	}
	tags, _ := doc["tags"].([]any)
	doc["tags"] = append(tags, map[string]any{
		"name": "Gateway", "description": "Served by aia-gateway itself."})
	return json.MarshalIndent(doc, "", "  ")
}

func openAPIHandler(doc []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}
}
