"""One module per page group; each defines ``router`` (``APIRouter``) and optionally ``NAV``. Found by
``create_app`` — adding a module here is all it takes to add pages."""
