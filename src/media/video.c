/* Reading video frames with FFmpeg (include/childguard/video.h): placeholder until it lands. */
