"""Start the server with the current environment: `python run.py` (see app/serving.py)."""

from async_boot import patch_if_gevent

patch_if_gevent()  # before any other import: gevent must patch the standard library first

from app.serving import main  # noqa: E402

if __name__ == "__main__":
    main()
