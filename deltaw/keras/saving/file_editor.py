"""keras.saving.KerasFileEditor: look into and edit the weights of a `.keras` or `.weights.h5` file.

The file is read as deltaw reads Keras' files (the zip and HDF5 checks of deltaw.io: no links, no
external data, bounded sizes) into `weights_dict`, a nested dict with Keras' shape: one entry
per HDF5 group, the `vars` group of an object folded into it ({"layers": {"dense": {"0": kernel,
"1": bias}}}). The edits are Keras': rename, delete or add objects and weights, by name (unique
in the file) or by path. `save` writes a `.weights.h5` (atomically) that Keras and deltaw load.

Where deltaw differs: `summary()` prints plain text (Keras uses rich), and the HDF5 attributes of
groups are not kept in `object_metadata` (Keras' weight files carry none).
"""

from __future__ import annotations

import collections
import json
import os

import numpy as np

from deltaw.io import atomic_write, keras_zip
from deltaw.io.hdf5 import H5Reader, write_h5

__all__ = ["KerasFileEditor"]

_CONFIG, _METADATA, _WEIGHTS = "config.json", "metadata.json", "model.weights.h5"


def _tree(paths) -> dict[str, list[str]]:
    """Group path -> its members' names, sorted as h5py lists them ("" is the root)."""
    members = collections.defaultdict(set)
    for path in paths:
        if not path:
            continue
        parts = path.split("/")
        for i in range(len(parts)):
            members["/".join(parts[:i])].add(parts[i])
    return {group: sorted(names) for group, names in members.items()}


class KerasFileEditor:
    """Opens `filepath` (a `.keras` or `.weights.h5` file) for inspection and editing.

    Attributes:
        weights_dict: The weights as a nested dict (see the module docstring).
        config, metadata: The `.keras` file's config.json and metadata.json (None for a
            `.weights.h5`).

    Raises:
        ValueError: another extension, or a name or path that is not in the file.
        deltaw.io.ModelFileError: a damaged or hostile file.
    """

    def __init__(self, filepath):
        self.filepath = filepath = str(filepath)
        self.metadata = self.config = self.model = None
        self.object_metadata = {}
        with open(filepath, "rb") as f:
            data = f.read()
        where = f"KerasFileEditor: '{filepath}'"
        if filepath.endswith(".keras"):
            members = keras_zip.read_archive(data, where=where,
                                             wanted={_CONFIG, _METADATA, _WEIGHTS})
            self.config = json.loads(members[_CONFIG].decode("utf-8"))
            self.metadata = json.loads(members[_METADATA].decode("utf-8"))
            data = members[_WEIGHTS]
        elif not filepath.endswith(".weights.h5"):
            raise ValueError("Invalid filename: expected a `.keras` `.weights.h5` extension. "
                             f"Received: filepath={filepath}")
        with H5Reader(data, where=where) as reader:
            self.weights_dict = self._extract(reader, "")
        print(f"Keras model file '{self.filepath}'")
        if self.metadata is not None:
            print(f"Saved with Keras {self.metadata.get('keras_version')} - date: "
                  f"{self.metadata.get('date_saved')}")

    def _extract(self, reader, group: str, tree=None):
        """Keras' walk: groups recurse (an object's `vars` folded in; empty ones skipped)."""
        if tree is None:
            tree = _tree([*reader.groups, *reader.datasets])
        result = collections.OrderedDict()
        for key in tree.get(group, ()):
            path = f"{group}/{key}" if group else key
            if path in reader.datasets:
                result[key] = reader.read(path)
                continue
            members = tree.get(path)
            if not members:
                continue
            if "vars" in members:
                if not tree.get(f"{path}/vars"):
                    continue
                result[key] = self._extract(reader, f"{path}/vars", tree)
            else:
                result[key] = self._extract(reader, path, tree)
        return result

    # ----- looking
    def summary(self):
        """Prints the weight structure of the opened file."""
        def show(d, indent):
            for name, value in d.items():
                if isinstance(value, dict):
                    print(f"{'  ' * indent}{name}")
                    show(value, indent + 1)
                else:
                    print(f"{'  ' * indent}{name}: shape={tuple(value.shape)} dtype={value.dtype}")

        show(self.weights_dict, 0)

    def compare(self, reference_model):
        """Mismatches between the file and `reference_model`'s weights (paths and shapes).

        Returns:
            {'status': 'success' or 'error', 'error_count': int, 'match_count': int}
        """
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "reference.weights.h5")
            reference_model.save_weights(path)
            with open(path, "rb") as f:
                with H5Reader(f.read(), where="KerasFileEditor.compare") as reader:
                    reference = self._extract(reader, "")
        errors, matches = [], 0

        def walk(ref, ours, at):
            nonlocal matches
            for name in sorted(set(ref) | set(ours)):
                where = f"{at}/{name}" if at else name
                if name not in ours or name not in ref:
                    why = "missing in the file" if name not in ours else "not in the model"
                    errors.append(f"{where}: {why}")
                elif isinstance(ref[name], dict) != isinstance(ours[name], dict):
                    errors.append(f"{where}: an object in one, a weight in the other")
                elif isinstance(ref[name], dict):
                    walk(ref[name], ours[name], where)
                elif ref[name].shape != ours[name].shape:
                    errors.append(f"{where}: shape {ours[name].shape} in the file, "
                                  f"{ref[name].shape} in the model")
                else:
                    matches += 1

        walk(reference, self.weights_dict, "")
        for line in errors:
            print(line)
        print(f"{len(errors)} mismatches, {matches} matching weights")
        return {"status": "error" if errors else "success", "error_count": len(errors),
                "match_count": matches}

    # ----- editing (Keras' rules: a bare name must be unique in the file; a path is exact)
    def _edit_object(self, edit_fn, source_name, target_name=None):
        if target_name is not None and "/" in target_name:
            raise ValueError("Argument `target_name` should be a leaf name, not a full path "
                             f"name. Received: target_name='{target_name}'")
        if "/" in source_name:
            elements = source_name.split("/")
            d = self.weights_dict
            for e in elements[:-1]:
                if e not in d:
                    raise ValueError(f"Path '{source_name}' not found in model.")
                d = d[e]
            if elements[-1] not in d:
                raise ValueError(f"Path '{source_name}' not found in model.")
            edit_fn(d, source_name=elements[-1], target_name=target_name)
            return
        holders = []

        def find(d):
            for value in d.values():
                if isinstance(value, dict):
                    find(value)
            if source_name in d:
                holders.append(d)

        find(self.weights_dict)
        if len(holders) > 1:
            raise ValueError(f"Name '{source_name}' occurs more than once in the model; try "
                             "passing a complete path")
        if not holders:
            raise ValueError(f"Source name '{source_name}' does not appear in the model. Use "
                             "`editor.weights_summary()` to list all objects.")
        edit_fn(holders[0], source_name=source_name, target_name=target_name)

    def rename_object(self, object_name, new_name):
        """Renames the object (a name unique in the file, or a path) to the leaf `new_name`."""
        def rename(d, source_name, target_name):
            d[target_name] = d.pop(source_name)

        self._edit_object(rename, object_name, new_name)

    def delete_object(self, object_name):
        """Removes the object (name or path) and all its weights."""
        self._edit_object(lambda d, source_name, target_name=None: d.pop(source_name),
                          object_name)

    def add_object(self, object_path, weights):
        """Adds an object at `object_path` with `weights`, a dict {'0': array, ...}."""
        _check_weights(weights)
        d = self.weights_dict
        if "/" in object_path:
            elements = object_path.split("/")
            for e in elements[:-1]:
                if e not in d:
                    raise ValueError(f"Path '{'/'.join(elements[:-1])}' not found in model.")
                d = d[e]
            object_path = elements[-1]
        d[object_path] = weights

    def delete_weight(self, object_name, weight_name):
        """Removes one weight ('0', '1', ...) of an object."""
        def delete(d, source_name, target_name=None):
            if weight_name not in d[source_name]:
                raise ValueError(f"Weight {weight_name} not found in object {object_name}. "
                                 f"Weights found: {list(d[source_name].keys())}")
            d[source_name].pop(weight_name)

        self._edit_object(delete, object_name)

    def add_weights(self, object_name, weights):
        """Adds (or replaces) weights of an object, from a dict {'2': array, ...}."""
        _check_weights(weights)
        self._edit_object(lambda d, source_name, target_name=None: d[source_name].update(weights),
                          object_name)

    # ----- writing
    def save(self, filepath):
        """Writes the (edited) weights to `filepath`, a `.weights.h5` file, atomically."""
        filepath = str(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError("Invalid `filepath` argument: expected a `.weights.h5` extension. "
                             f"Received: filepath={filepath}")
        datasets = {}

        def collect(d, inner):
            for name, value in d.items():
                if isinstance(value, dict):
                    if value:
                        collect(value, f"{inner}/{name}" if inner else name)
                else:       # an object's weights live in its `vars` group, as Keras writes them
                    datasets[f"{inner}/vars/{name}" if inner else f"vars/{name}"] = \
                        np.asarray(value)

        collect(self.weights_dict, "")
        atomic_write(filepath, write_h5(datasets, {}, where=f"KerasFileEditor.save: '{filepath}'"))

    def resave_weights(self, filepath):
        self.save(filepath)


def _check_weights(weights):
    if not isinstance(weights, dict):
        raise ValueError("Argument `weights` should be a dict where keys are weight names "
                         "(usually '0', '1', etc.) and values are NumPy arrays. "
                         f"Received: type(weights)={type(weights)}")
