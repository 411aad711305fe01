// Package policy decides who may sign in and which tools, resources and
// prompts each principal may use. A Policy is compiled once from its
// Config and never changes; a reload swaps in a new one through Current.
//
// The policy indexes every rule's patterns once: exact names in maps,
// wildcard patterns in a trie by their literal prefix. A View, built once
// per verified token and cached with it, is two bits a rule (applies;
// would apply with a scope the token lacks), so that a call is decided by
// a map lookup plus the few wildcard patterns its name could match,
// however many rules there are.
package policy
