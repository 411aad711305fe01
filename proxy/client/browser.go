package client

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
)

// Browser opens the authorization URL for the user to sign in.
type Browser func(ctx context.Context, url string) error

// PrintURL only prints the URL, for a machine without a browser
// (--no-browser): the user opens it elsewhere, on a machine whose browser
// can reach this one's loopback listener (an SSH tunnel).
func PrintURL(w io.Writer) Browser {
	return func(_ context.Context, url string) error {
		_, err := fmt.Fprintf(w, "Open this URL in your browser to sign in:\n\n  %s\n\n", url)
		return err
	}
}

// Command runs command with the URL as its last argument (--browser, or
// the BROWSER variable). As with BROWSER, a command containing %s gets
// the URL there instead; it is run directly, never through a shell, so
// the URL cannot inject anything.
func Command(command string) Browser {
	return func(ctx context.Context, url string) error {
		args := strings.Fields(command)
		if len(args) == 0 {
			return fmt.Errorf("client: empty browser command")
		}
		replaced := false
		for i, a := range args {
			if strings.Contains(a, "%s") {
				args[i], replaced = strings.ReplaceAll(a, "%s", url), true
			}
		}
		if !replaced {
			args = append(args, url)
		}
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("client: start the browser %q: %w", args[0], err)
		}
		// Browsers often stay running; reap the process when it exits.
		go func() { _ = cmd.Wait() }()
		return nil
	}
}

// SystemBrowser opens the URL with the platform's opener, printing it too
// so that the user can copy it if nothing opens.
func SystemBrowser(w io.Writer) Browser {
	opener := "xdg-open"
	switch runtime.GOOS {
	case "darwin":
		opener = "open"
	case "windows":
		opener = "rundll32 url.dll,FileProtocolHandler"
	}
	open := Command(opener)
	return func(ctx context.Context, url string) error {
		if err := PrintURL(w)(ctx, url); err != nil {
			return err
		}
		if err := open(ctx, url); err != nil {
			fmt.Fprintf(w, "(could not open a browser: %v)\n", err)
		}
		return nil
	}
}
