/* vPDQ (include/childguard/vpdq.h): placeholder until it lands. */
