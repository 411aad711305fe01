package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts. Each runs atomically: no other command interleaves. They
// decide nothing by the Redis clock except through TTLs: the caller passes
// its own now, so that a record is live or not alike for a getter and a
// create on the same replica.

// putScript writes one record: its hash, its TTL, its index entry and, for
// refresh tokens, its family set entry. Mode "create" first refuses a live
// record (returns 0); "replace" overwrites. A record written already
// expired only gets its index entry, for GarbageCollect to count.
//
// Within the hash, every field is set before PEXPIREAT: with the Redis
// clock ahead, a PEXPIREAT in the past deletes the key at once, and a later
// HSET would resurrect it without a TTL.
//
//	KEYS[1] record, KEYS[2] expiry index, KEYS[3] family set (refresh tokens)
//	ARGV[1] "create" or "replace"
//	ARGV[2] now, Unix ms (liveness of the record found)
//	ARGV[3] record ID (index and family member)
//	ARGV[4] index score (Unix ms, "+inf" or "-inf")
//	ARGV[5] "1" if the record is live now, "0" if already expired
//	ARGV[6] record JSON
//	ARGV[7] expiry, Unix ms; "" for never
//	ARGV[8] family ID (refresh tokens)
var putScript = goredis.NewScript(`
if ARGV[1] == 'create' and redis.call('EXISTS', KEYS[1]) == 1 then
	local exp = redis.call('HGET', KEYS[1], 'exp')
	if not exp or tonumber(exp) >= tonumber(ARGV[2]) then
		return 0
	end
end
redis.call('DEL', KEYS[1])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
if ARGV[5] ~= '1' then
	return 1
end
if ARGV[7] == '' then
	redis.call('HSET', KEYS[1], 'v', ARGV[6])
	return 1
end
if KEYS[3] then
	redis.call('HSET', KEYS[1], 'v', ARGV[6], 'exp', ARGV[7], 'fam', ARGV[8])
	redis.call('SADD', KEYS[3], ARGV[3])
	-- NX for a new set (GT treats no TTL as infinite), then GT: the set
	-- lives as long as its longest-lived token.
	redis.call('PEXPIREAT', KEYS[3], ARGV[7], 'NX')
	redis.call('PEXPIREAT', KEYS[3], ARGV[7], 'GT')
else
	redis.call('HSET', KEYS[1], 'v', ARGV[6], 'exp', ARGV[7])
end
redis.call('PEXPIREAT', KEYS[1], ARGV[7])
return 1
`)

// deleteScript deletes a live record and its index entry; it returns 0 if
// there is none. An expired record stays for GarbageCollect to count, as in
// the other backends.
//
//	KEYS[1] record, KEYS[2] expiry index
//	ARGV[1] now, Unix ms
//	ARGV[2] record ID
var deleteScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
	return 0
end
local exp = redis.call('HGET', KEYS[1], 'exp')
if exp and tonumber(exp) < tonumber(ARGV[1]) then
	return 0
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`)

// claimScript makes a claim unless a live one exists: SET NX PXAT, whose
// TTL is the claim's life. A claim already expired is only indexed, for
// GarbageCollect to count, unless a live one is there. Returns 1 if made.
//
//	KEYS[1] claim, KEYS[2] expiry index
//	ARGV[1] "1" if the claim is live now
//	ARGV[2] expiry, Unix ms
//	ARGV[3] index score
//	ARGV[4] claim key (index member)
var claimScript = goredis.NewScript(`
if ARGV[1] == '1' then
	if not redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PXAT', ARGV[2]) then
		return 0
	end
elseif redis.call('EXISTS', KEYS[1]) == 1 then
	return 0
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
`)

// gcScript removes up to a batch of index entries scored before a cutoff,
// with their records (where Redis has not evicted them yet) and, for
// refresh tokens, their family set entries. Returns how many it removed.
// It builds record keys from the IDs it reads, which is one reason Cluster
// is not supported (doc.go).
//
//	KEYS[1] expiry index
//	ARGV[1] cutoff, "(" + Unix ms (exclusive)
//	ARGV[2] record key prefix (P + kind + ":")
//	ARGV[3] family key prefix (P + "family:"), "" for other kinds
//	ARGV[4] batch size
var gcScript = goredis.NewScript(`
local ids = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[4]))
for _, id in ipairs(ids) do
	local key = ARGV[2] .. id
	if ARGV[3] ~= '' then
		local fam = redis.call('HGET', key, 'fam')
		if fam then
			redis.call('SREM', ARGV[3] .. fam, id)
		end
	end
	redis.call('DEL', key)
end
if #ids > 0 then
	redis.call('ZREM', KEYS[1], unpack(ids))
end
return #ids
`)

// revokeScript deletes every token of a family, expired or not, and the
// family set. A set member whose token now belongs to another family (its
// hash was reused after it expired) is left alone.
//
//	KEYS[1] family set, KEYS[2] refresh token index
//	ARGV[1] record key prefix (P + "refresh:")
//	ARGV[2] family ID
var revokeScript = goredis.NewScript(`
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
	local key = ARGV[1] .. id
	if redis.call('HGET', key, 'fam') == ARGV[2] then
		redis.call('DEL', key)
		redis.call('ZREM', KEYS[2], id)
	end
end
redis.call('DEL', KEYS[1])
return 1
`)

// unlockScript deletes a lock only if it still holds our token: after our
// lock expired, another updater may hold it.
//
//	KEYS[1] lock
//	ARGV[1] token
var unlockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// incrementScript counts, in a hash of the count and its expiry. A new
// counter gets its expiry; an existing one keeps its own, and one expired
// by the caller's clock starts again (Redis's TTL only frees the memory).
//
//	KEYS[1] counter, KEYS[2] expiry index
//	ARGV[1] expiry of a new counter, Unix ms
//	ARGV[2] now, Unix ms
//	ARGV[3] counter key (index member)
var incrementScript = goredis.NewScript(`
local exp = redis.call('HGET', KEYS[1], 'exp')
if exp and tonumber(exp) < tonumber(ARGV[2]) then
	redis.call('DEL', KEYS[1])
end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
if n == 1 then
	redis.call('HSET', KEYS[1], 'exp', ARGV[1])
	redis.call('PEXPIREAT', KEYS[1], ARGV[1])
	redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
end
return n
`)

// recordRevocationScript records a revocation in two sorted sets of family
// IDs: by revocation time (what Revocations ranges over) and by expiry
// (what GarbageCollect trims). Revoking again makes the record newer and
// keeps the later expiry.
//
//	KEYS[1] revocations by time, KEYS[2] revocations by expiry
//	ARGV[1] family ID, ARGV[2] revoked at, ARGV[3] expires at (Unix ms)
var recordRevocationScript = goredis.NewScript(`
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], 'GT', ARGV[3], ARGV[1])
return 1
`)

// gcRevocationsScript removes up to a batch of expired revocations from
// both sets. Returns how many it removed.
//
//	KEYS[1] revocations by time, KEYS[2] revocations by expiry
//	ARGV[1] cutoff, "(" + Unix ms (exclusive)
//	ARGV[2] batch size
var gcRevocationsScript = goredis.NewScript(`
local ids = redis.call('ZRANGE', KEYS[2], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
if #ids > 0 then
	redis.call('ZREM', KEYS[1], unpack(ids))
	redis.call('ZREM', KEYS[2], unpack(ids))
end
return #ids
`)
