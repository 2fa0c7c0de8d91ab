// placeholder so the target has a source
