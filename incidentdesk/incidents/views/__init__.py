"""Web pages for incidents (Django templates + htmx). Views parse, call a service, render."""
