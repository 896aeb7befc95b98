"""The web app factory: public pages (sign-up, unsubscribe) and the team's reactions inbox."""

from __future__ import annotations

from flask import Flask

from ..runtime import Runtime


def create_app(runtime: Runtime, *, testing: bool = False) -> Flask:
    """Build the Flask app for ``mailer serve``; ``runtime`` gives config and database."""
    app = Flask(__name__, template_folder=str(runtime.config.templates_dir / "web"))
    app.config["TESTING"] = testing
    app.config["SECRET_KEY"] = runtime.key
    app.extensions["mailer_runtime"] = runtime
    from ..request_db import close_request_db

    app.teardown_request(close_request_db)

    from subscribers.web import bp as public_bp
    from .api import bp as api_bp
    from .archive import bp as archive_bp
    from .media import bp as media_bp
    from .quote_links import bp as quote_links_bp
    from .team import IdConverter, bp as team_bp

    app.url_map.converters["id"] = IdConverter
    app.register_blueprint(public_bp)
    app.register_blueprint(archive_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(quote_links_bp)
    app.register_blueprint(team_bp, url_prefix="/team")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    return app


def get_runtime_for_app(app: Flask) -> Runtime:
    rt: Runtime = app.extensions["mailer_runtime"]
    return rt
