"""Flask extensions, created unbound and attached in `create_app`."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every domain's models."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = Api()
csrf = CSRFProtect()
# One rate limiter (Flask-Limiter's decorators belong to an instance): the portal's login and the
# storefront's order lookup. auto_check=False: only those views have limits, so no other request
# pays for a before_request check (it was ~30% of a cached catalogue answer); they call check() themselves.
limiter = Limiter(key_func=get_remote_address, auto_check=False)
