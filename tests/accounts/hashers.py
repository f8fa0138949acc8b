"""A real password hasher that counts how often it runs, to prove throttled logins never hash."""

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingMD5PasswordHasher(MD5PasswordHasher):
    algorithm = "md5"  # same stored format, so the factories' passwords verify with it
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)
