"""The standard dense net behind a loss: its record (:class:`~gradcheck.diagnosis.model.infer.Arch`), its inference from
the parameter shapes, the data and the loss, and dropout masks read off the loss."""
