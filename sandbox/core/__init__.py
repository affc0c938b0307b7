"""What both emulators share: state with a lock, fault injection, stats, the control surface, the server."""
