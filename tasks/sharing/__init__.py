"""Automatic data sharing: packages of FASTQ data per run and project, pushed to S3 or shared by presigned URLs."""
