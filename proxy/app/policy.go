package app

import (
	"fmt"
	"time"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/proxy/audit"
	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/policy"
)

// PolicyOf compiles the policy section of a validated configuration: the
// sign-in policy and the default backend's rules.
func PolicyOf(cfg *config.Config) *policy.Policy { return policyWith(cfg, cfg.Policy.Rules) }

// policyWith is the sign-in policy of cfg with rules.
func policyWith(cfg *config.Config, rules []config.Rule) *policy.Policy {
	p := cfg.Policy
	pc := policy.Config{SignIn: policy.SignIn{
		AllowedEmailDomains:  p.SignIn.AllowedEmailDomains,
		AllowedEmails:        p.SignIn.AllowedEmails,
		RequiredGroups:       p.SignIn.RequiredGroups,
		RequireVerifiedEmail: p.SignIn.RequireVerifiedEmail,
	}, PersonalTokens: policy.PersonalTokens{
		Disabled:      !p.PersonalTokens.Enabled,
		MaxLifetime:   p.PersonalTokens.MaxLifetime,
		AllowNoExpiry: p.PersonalTokens.AllowNoExpiry,
		AllowedGroups: p.PersonalTokens.AllowedGroups,
	}, AdminGroups: p.AdminGroups}
	for _, r := range rules {
		pc.Rules = append(pc.Rules, policy.Rule{
			Name: r.Name, Groups: r.Groups, Emails: r.Emails, Clients: r.Clients, IdPs: r.IdPs, Scope: r.Scope,
			Allow: permissions(r.Allow), Deny: permissions(r.Deny),
		})
	}
	return policy.New(pc)
}

func permissions(p config.Permissions) policy.Permissions {
	return policy.Permissions{Tools: p.Tools, Resources: p.Resources, Prompts: p.Prompts}
}

// ReloadPolicy puts in force the policy of cfg, a configuration re-read
// from the same file; it must pass validation, else the policy in force
// stays. Only the policy changes: other keys need a restart, and the
// audit log is reopened (for logrotate).
func (a *App) ReloadPolicy(cfg *config.Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("app: reload: %w", err)
	}
	p := PolicyOf(cfg)
	a.Policy.Store(p)
	rules := p.Rules()
	for _, rt := range cfg.Routes() {
		if rt.Name == "" {
			continue
		}
		cur, ok := a.backendPolicies[rt.Name]
		if !ok {
			a.log.Warn("policy reload: a backend added since the start is served only after a restart", "backend", rt.Name)
			continue
		}
		bp := policyWith(cfg, rt.Rules)
		cur.Store(bp)
		rules += bp.Rules()
	}
	a.log.Info("policy reloaded", "rules", rules)
	if a.Audit != nil {
		if err := a.Audit.Reopen(); err != nil {
			return fmt.Errorf("app: reload: %w", err)
		}
	}
	return nil
}

// auditTokens writes the personal access tokens made and revoked to the
// audit log, if there is one: the token's ID as target, never the token.
// Its uses are the mcp_request lines whose client_id is "pat:" + the ID.
func (a *App) auditTokens() func(authserver.TokenEvent) {
	if a.Audit == nil {
		return nil
	}
	return func(e authserver.TokenEvent) {
		kind := "personal_token"
		if e.Client {
			kind = "client_grant"
		}
		rec := &audit.Record{Time: time.Now(), Event: kind, Subject: e.Subject, IdP: e.IdP, Email: e.Email,
			Kind: kind, Target: e.TokenID, Decision: e.Action}
		if e.RevokedBy != "" && e.RevokedBy != e.Subject {
			rec.Reason = "revoked by " + e.RevokedBy
		}
		a.Audit.Write(rec)
	}
}

// auditSignIn counts sign-in decisions and writes them to the audit log,
// if there is one.
func (a *App) auditSignIn() func(authserver.SignInDecision) {
	return func(d authserver.SignInDecision) {
		a.Metrics.SignIn(d.Allowed, d.Code)
		if a.Audit == nil {
			return
		}
		decision := "allow"
		if !d.Allowed {
			decision = "deny"
		}
		a.Audit.Write(&audit.Record{Time: time.Now(), Event: "signin", Subject: d.Subject, IdP: d.IdP, Email: d.Email,
			ClientID: d.ClientID, Decision: decision, Reason: d.Reason})
	}
}
