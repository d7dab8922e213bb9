"""RemoteMonitor: POST each epoch's logs to a server (Keras' callback, over urllib)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from deltaw.keras.callbacks.callback import Callback

__all__ = ["RemoteMonitor"]


class RemoteMonitor(Callback):
    """Sends `{"epoch": epoch, **logs}` to `root + path` at the end of each epoch.

    Args:
        root: The server's root URL. Defaults to 'http://localhost:9000'.
        path: Appended to `root`. Defaults to '/publish/epoch/end/'.
        field: The form field that holds the JSON of the logs. Defaults to 'data'.
        headers: Optional dict of extra HTTP headers.
        send_as_json: Send the logs as a JSON body (`application/json`) instead of a form.
            Defaults to False.

    A server that cannot be reached gives a warning, not an error, as in Keras. Where deltaw
    differs: it posts with the standard library (urllib), so it needs no `requests`, and waits
    at most 10 seconds for the server.
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for k, v in (logs or {}).items():
            # NumPy scalars are not JSON: send their Python value
            send[k] = v.item() if isinstance(v, np.ndarray | np.generic) else v
        if self.send_as_json:
            body, kind = json.dumps(send).encode(), "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            kind = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.root + self.path, data=body, method="POST",
                                         headers={"Content-Type": kind, **(self.headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except urllib.error.HTTPError:
            pass            # the server answered (with an error status): Keras ignores that too
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
