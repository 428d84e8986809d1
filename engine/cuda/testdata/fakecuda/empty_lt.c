/* A stand-in for libcublasLt.so.12: the fake libcublas.so.12 needs it, so
   dlopen of the fake cuBLAS succeeds only if the backend loaded this file
   from the same folder first. */
int netgeom_fake_cublaslt_marker(void) { return 1; }
