"""OSC protocol, server, job queue and the command-line client."""
