"""Flask extensions, created unbound and attached in `create_app`."""

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
