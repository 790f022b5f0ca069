"""Networks and their use: autoencoder, denoiser, sampler, text conditioning, pipeline."""
