package app

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certReloader serves the certificate in certFile and keyFile, loaded
// again when either file changes (cert-manager and certbot renew them in
// place), checked at most once a second. A renewal that fails to load
// keeps the certificate in use: a half-written pair must not take the
// server down.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu       sync.Mutex
	cert     *tls.Certificate
	modified [2]time.Time
	checked  time.Time
}

const certCheckInterval = time.Second

func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	if _, err := r.GetCertificate(nil); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate is the tls.Config hook.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.cert != nil && now.Sub(r.checked) < certCheckInterval {
		return r.cert, nil
	}
	r.checked = now
	var modified [2]time.Time
	for i, f := range []string{r.certFile, r.keyFile} {
		st, err := os.Stat(f)
		if err != nil {
			return r.keep(fmt.Errorf("app: tls: %w", err))
		}
		modified[i] = st.ModTime()
	}
	if r.cert != nil && modified == r.modified {
		return r.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return r.keep(fmt.Errorf("app: tls: load %s and %s: %w", r.certFile, r.keyFile, err))
	}
	if r.cert != nil {
		r.log.Info("tls certificate reloaded", "cert_file", r.certFile)
	}
	r.cert, r.modified = &cert, modified
	return r.cert, nil
}

// keep answers with the certificate in use after a failed reload, or the
// error when there is none yet.
func (r *certReloader) keep(err error) (*tls.Certificate, error) {
	if r.cert == nil {
		return nil, err
	}
	r.log.Warn("tls certificate not reloaded; keeping the one in use", "err", err)
	return r.cert, nil
}
