/* placeholder: video frames (issue 7) */
