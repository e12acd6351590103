/**
 * Roles and generations per volume (SPEC F9–F12): {@link org.blockmirror.role.GenerationState}
 * and its transitions, the sync handshake's decision table
 * ({@link org.blockmirror.role.HandshakeRules}), write policing
 * ({@link org.blockmirror.role.WriteToken}), and the durable
 * {@link org.blockmirror.role.RoleStateFile}. Pure logic and persistence; the daemons use it
 * through the plan in docs/roles.md.
 */
package org.blockmirror.role;
