// Command server is the stdio MCP test server (see package stdiotest), for
// tests that run it as a separate program.
package main

import "github.com/mcpgate/mcpgate/proxy/stdio/stdiotest"

func main() { stdiotest.Serve() }
