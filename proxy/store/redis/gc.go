package redis

import (
	"context"
	"strconv"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
)

// gcBatch bounds the entries one gcScript call removes: a script blocks
// Redis while it runs.
const gcBatch = 500

// GarbageCollect implements store.Store. It works from the expiry indexes;
// doc.go explains what it counts.
func (s *Store) GarbageCollect(ctx context.Context, now time.Time) (store.GCResult, error) {
	var res store.GCResult
	for _, c := range []struct {
		tag    string
		family bool
		n      *int64
	}{
		{clients.tag, false, &res.Clients},
		{authRequests.tag, false, &res.AuthRequests},
		{authCodes.tag, false, &res.AuthCodes},
		{refreshTokens.tag, true, &res.RefreshTokens},
		{consents.tag, false, &res.Consents},
		{signingKeys.tag, false, &res.SigningKeys},
		{claimTag, false, &res.Claims},
		{counterTag, false, &res.Counters},
		{upstreamGrants.tag, true, &res.UpstreamGrants},
		{personalTokens.tag, true, &res.PersonalTokens},
		{grants.tag, true, &res.Grants},
	} {
		n, err := s.collect(ctx, c.tag, c.family, now)
		*c.n = n
		if err != nil {
			return res, err
		}
	}
	n, err := s.collectRevocations(ctx, now)
	res.Revocations = n
	return res, err
}

// collectRevocations removes the revocations that expired before now.
func (s *Store) collectRevocations(ctx context.Context, now time.Time) (int64, error) {
	cutoff := "(" + strconv.FormatInt(nowMillis(now), 10)
	keys := []string{s.revocationsKey(), s.revocationExpiryKey()}
	var total int64
	for {
		n, err := gcRevocationsScript.Run(ctx, s.rdb, keys, cutoff, gcBatch).Int64()
		total += n
		if err != nil {
			return total, s.fail(ctx, "garbage collect revocations", err)
		}
		if n < gcBatch {
			return total, nil
		}
	}
}

// collect removes the entries of one index that expired before now.
func (s *Store) collect(ctx context.Context, tag string, family bool, now time.Time) (int64, error) {
	cutoff := "(" + strconv.FormatInt(nowMillis(now), 10)
	famPrefix := ""
	if family {
		famPrefix = s.familyKey("")
	}
	var total int64
	for {
		n, err := gcScript.Run(ctx, s.rdb, []string{s.indexKey(tag)}, cutoff, s.recordKey(tag, ""), famPrefix, gcBatch).Int64()
		total += n
		if err != nil {
			return total, s.fail(ctx, "garbage collect "+tag, err)
		}
		if n < gcBatch {
			return total, nil
		}
	}
}
