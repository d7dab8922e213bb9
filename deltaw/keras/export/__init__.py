"""keras.export: models written for other runtimes. deltaw writes ONNX (`export_onnx`)."""

from deltaw.keras.export.onnx_export import export_onnx

__all__ = ["export_onnx"]
