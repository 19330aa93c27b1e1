"""The service layer: the only way the web app and the CLI read or change data. Core code: no vendor SDKs."""
