"""The bundled demo: feeds and article pages written for desk, and a loopback server."""
