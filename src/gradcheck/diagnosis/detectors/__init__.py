"""The detectors of the diagnosis, one module each; :data:`gradcheck.diagnosis.pipeline.DETECTORS` orders them."""
