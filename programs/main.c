#include <stdio.h>
#include "childguard.h"
int main(void) { printf("%s\n", cg_version()); return 0; }
