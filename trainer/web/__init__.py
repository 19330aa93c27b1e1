"""The browser app: `app.create_app` (Gradio wiring) over `handlers.WebHandlers` (plain methods on the services)."""
