package proxy

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// The probes of an orchestrator: alive, and ready for traffic. They answer
// whatever Host the request names (a kubelet uses the pod's address) and
// say nothing but the names of the checks and ok or failing.
const (
	healthPath = "/healthz"
	readyPath  = "/readyz"
)

// Check is one readiness check; Run returns nil when it passes.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// readinessTimeout bounds all checks together: a probe must answer
// before the orchestrator gives up on it.
const readinessTimeout = 2 * time.Second

func isProbe(path string) bool { return path == healthPath || path == readyPath }

func (s *Server) healthz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), readinessTimeout)
	defer cancel()
	checks := map[string]string{}
	status, code := "ready", http.StatusOK
	for _, ch := range s.ready {
		if err := ch.Run(ctx); err != nil {
			s.log.WarnContext(ctx, "readiness check failed", "check", ch.Name, "err", err)
			checks[ch.Name] = "failing"
			status, code = "not ready", http.StatusServiceUnavailable
			continue
		}
		checks[ch.Name] = "ok"
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(code, map[string]any{"status": status, "checks": checks})
}
