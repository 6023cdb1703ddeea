"""Remote and generative backends behind the `workers.backend.Backend` protocol: tgi, openai, hf.

The `local` backend is `workers.local_model.LocalBackend`. All are imported lazily by
`workers.factory.build_backend`, so only the chosen one's dependencies need to be importable.
"""
