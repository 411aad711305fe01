// Package policy decides who may sign in and which tools, resources and
// prompts each principal may use. A Policy is compiled once from its
// Config and never changes; a reload swaps in a new one through Current.
//
// Rules are evaluated for one principal through a View, built once per
// verified token and cached with it: the rules whose groups, emails and
// clients match the principal are indexed by exact name, so that a call
// is decided by a map lookup plus the wildcard patterns, however many
// rules there are.
package policy
