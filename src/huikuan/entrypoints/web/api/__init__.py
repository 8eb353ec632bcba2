"""One module per API area under ``/api/v1``; each defines ``router`` (``APIRouter``, paths without the
``/api/v1`` prefix). Found by ``create_app``."""
